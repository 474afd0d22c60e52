#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Syntax and required-field checks of the fleet examples (examples/fleet).

Prints "ok - ..." / "not ok - ..." lines; exit status 1 if any failed.
The mdev type names and their sysfs "name" strings are read from the
driver source, so a renamed type breaks these checks.
"""
import configparser
import pathlib
import re
import sys

import yaml

TOP = pathlib.Path(__file__).resolve().parents[2]
FLEET = TOP / "examples" / "fleet"
results = []


def check(desc, cond):
    results.append(bool(cond))
    print(("ok - " if cond else "not ok - ") + desc)


def driver_types():
    """{"mtty-1": "Single port serial", ...} from driver/mtty_main.c"""
    src = (TOP / "driver" / "mtty_main.c").read_text()
    pairs = re.findall(r'\.type\.sysfs_name\s*=\s*"([^"]+)",\s*'
                       r'\.type\.pretty_name\s*=\s*"([^"]+)"', src)
    return {"mtty-" + n: pretty for n, pretty in pairs}


def get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


types = driver_types()
check("driver defines mtty-1 and mtty-2 (%s)" % types,
      set(types) == {"mtty-1", "mtty-2"})

docs = {}
for f in sorted(FLEET.rglob("*.y*ml")):
    rel = f.relative_to(TOP)
    try:
        docs[f.name] = list(yaml.safe_load_all(f.read_text()))
        check("%s parses as YAML" % rel, all(d is not None for d in docs[f.name]))
    except yaml.YAMLError as e:
        check("%s parses as YAML (%s)" % (rel, e), False)

cr = (docs.get("kubevirt-cr.yaml") or [None])[0]
check("KubeVirt CR: apiVersion kubevirt.io/v1, kind KubeVirt",
      isinstance(cr, dict) and cr.get("apiVersion") == "kubevirt.io/v1"
      and cr.get("kind") == "KubeVirt" and get(cr, "metadata", "name"))
mdc = get(cr, "spec", "configuration", "mediatedDevicesConfiguration") or {}
mtypes = mdc.get("mediatedDevicesTypes") or []
check("KubeVirt CR: mediatedDevicesTypes lists mtty-2", "mtty-2" in mtypes)
node_types = [t for n in mdc.get("nodeMediatedDeviceTypes") or []
              for t in (n.get("mediatedDevicesTypes") or [])
              + (n.get("mediatedDeviceTypes") or [])]
check("KubeVirt CR: every node entry has a nodeSelector",
      all(isinstance(n.get("nodeSelector"), dict) and n["nodeSelector"]
          for n in mdc.get("nodeMediatedDeviceTypes") or []))
check("KubeVirt CR: every mdev type used exists in the driver (%s)"
      % (mtypes + node_types),
      mtypes and all(t in types for t in mtypes + node_types))
perm = get(cr, "spec", "configuration", "permittedHostDevices",
           "mediatedDevices") or []
check("KubeVirt CR: permittedHostDevices.mediatedDevices entries have "
      "mdevNameSelector and resourceName",
      perm and all(p.get("mdevNameSelector") and p.get("resourceName")
                   for p in perm))
sel = {p.get("mdevNameSelector"): p.get("resourceName") for p in perm}
check('KubeVirt CR: mdevNameSelector "%s" (the driver\'s mtty-2 name) '
      'is permitted' % types.get("mtty-2"),
      types.get("mtty-2") == "Dual port serial" and "Dual port serial" in sel)
check("KubeVirt CR: every mdevNameSelector is a driver type name",
      perm and all(s in types.values() for s in sel))
check("KubeVirt CR: HostDevices feature gate on",
      "HostDevices" in (get(cr, "spec", "configuration", "developerConfiguration",
                            "featureGates") or []))

vm = (docs.get("vm-serial.yaml") or [None])[0]
check("VirtualMachine: apiVersion kubevirt.io/v1, kind VirtualMachine, name",
      isinstance(vm, dict) and vm.get("apiVersion") == "kubevirt.io/v1"
      and vm.get("kind") == "VirtualMachine" and get(vm, "metadata", "name"))
hostdevs = get(vm, "spec", "template", "spec", "domain", "devices",
               "hostDevices") or []
check("VirtualMachine: hostDevices entries have name and deviceName",
      hostdevs and all(h.get("name") and h.get("deviceName") for h in hostdevs))
check("VirtualMachine: requests the CR's Dual port serial resource (%s)"
      % sel.get("Dual port serial"),
      any(h.get("deviceName") == sel.get("Dual port serial") for h in hostdevs))
vols = {v.get("name") for v in get(vm, "spec", "template", "spec", "volumes") or []}
disks = get(vm, "spec", "template", "spec", "domain", "devices", "disks") or []
check("VirtualMachine: every disk has a volume",
      disks and all(d.get("name") in vols for d in disks))
check("VirtualMachine: running or runStrategy set",
      isinstance(vm, dict) and ("runStrategy" in vm.get("spec", {})
                                or "running" in vm.get("spec", {})))

play = docs.get("mtty-hosts.yml") or [None]
plays = play[0] if isinstance(play[0], list) else []
check("Ansible: a list of plays with hosts and tasks",
      plays and all(p.get("hosts") and p.get("tasks") for p in plays))
tasks = [t for p in plays for t in p.get("tasks") or []]
modkeys = {"name", "loop", "when", "register", "become", "notify", "vars",
           "tags", "changed_when", "failed_when"}
check("Ansible: each task has a name and exactly one module",
      tasks and all(t.get("name") and len(set(t) - modkeys) == 1 for t in tasks))
check("Ansible: enables mtty.service",
      any(get(t, "ansible.builtin.systemd", "name") == "mtty.service"
          and get(t, "ansible.builtin.systemd", "enabled") for t in tasks))

nova = FLEET / "openstack" / "nova-compute.conf"
cp = configparser.ConfigParser()
try:
    cp.read_string(nova.read_text())
    parsed = True
except configparser.Error as e:
    print("# %s" % e)
    parsed = False
check("nova-compute.conf parses as INI", parsed)
enabled = [t.strip() for t in cp.get("devices", "enabled_mdev_types",
                                     fallback="").split(",") if t.strip()]
check("nova: [devices] enabled_mdev_types = %s, all driver types" % enabled,
      enabled and all(t in types for t in enabled))
check("nova: an [mdev_<type>] section per enabled type",
      enabled and all(cp.has_section("mdev_" + t) for t in enabled))
check("nova: mdev_class values are CUSTOM_ resource classes",
      enabled and all(re.fullmatch(r"CUSTOM_[A-Z0-9_]+",
                                   cp.get("mdev_" + t, "mdev_class", fallback=""))
                      for t in enabled))

sys.exit(0 if all(results) else 1)
