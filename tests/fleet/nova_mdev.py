#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""What Nova's libvirt driver makes of mtty's mdev parent.

Runs Debian 12's Nova (python3-nova 26.x, "Zed") for real: the
nova-compute.conf example is loaded with Nova's own option definitions
(nova.conf.CONF plus the dynamic [mdev_<type>] groups) and a real
nova.virt.libvirt.driver.LibvirtDriver is built from it; its
nova.virt.libvirt.host.Host is given a fake libvirt connection that serves
the node devices libvirt 9.0 (Debian 12) shows on a host with mtty loaded.
Then the driver's mdev discovery is called the way nova-compute's
update_provider_tree() calls it, and the outcome is asserted.

Where the node-device XML below comes from:
- real libvirt 9.0 runs (tests/sysvm, docs/operator-guide.md): the parent
  is the node device "mtty_mtty", listed by `virsh nodedev-list --cap
  mdev_types`; a device is "mdev_<uuid with _>_mtty" with parent
  mtty_mtty; `virsh nodedev-define` accepts <parent>mtty_mtty</parent>;
- Debian's libvirt 9.0 nodedev driver (libvirt_driver_nodedev.so) maps the
  udev subsystem "mtty" to the top-level capability "mdev_types"
  (udevGetDeviceType, udevProcessMdevParent); the element layout is that
  of libvirt's virNodeDeviceDefFormat()/virNodeDeviceCapMdevTypesFormat()
  (an outer <capability type='mdev_types'> around the type list), and the
  type attributes are the driver's sysfs files (name, device_api,
  available_instances with the default max_ports=24, one mtty-2 in use).
What Nova decides depends only on <name>, <parent> and the *type* of the
top-level <capability> (pci/net, mdev, vdpa or something else), which are
the parts the real runs show.

Prints "ok - ..."/"not ok - ..." lines; exit 1 if any failed.
"""
import logging
import os
import pathlib
import sys
import traceback

TOP = pathlib.Path(__file__).resolve().parents[2]
CONF_FILE = os.environ.get(
    "NOVA_CONF", str(TOP / "examples" / "fleet" / "openstack" / "nova-compute.conf"))
results = []


def check(desc, cond):
    results.append(bool(cond))
    print(("ok - " if cond else "not ok - ") + desc)


MDEV_UUID = "6f0b7a52-1c3e-4d2a-9e61-0a1b2c3d4e01"
MDEV_NAME = "mdev_%s_mtty" % MDEV_UUID.replace("-", "_")
PARENT_XML = """<device>
  <name>mtty_mtty</name>
  <path>/sys/devices/virtual/mtty/mtty</path>
  <parent>computer</parent>
  <capability type='mdev_types'>
    <capability type='mdev_types'>
      <type id='mtty-1'>
        <name>Single port serial</name>
        <deviceAPI>vfio-pci</deviceAPI>
        <availableInstances>22</availableInstances>
      </type>
      <type id='mtty-2'>
        <name>Dual port serial</name>
        <deviceAPI>vfio-pci</deviceAPI>
        <availableInstances>11</availableInstances>
      </type>
    </capability>
  </capability>
</device>
"""
MDEV_XML = """<device>
  <name>%s</name>
  <path>/sys/devices/virtual/mtty/mtty/%s</path>
  <parent>mtty_mtty</parent>
  <driver>
    <name>vfio_mdev</name>
  </driver>
  <capability type='mdev'>
    <type id='mtty-2'/>
    <uuid>%s</uuid>
    <parent_addr>mtty</parent_addr>
    <iommuGroup number='0'/>
  </capability>
</device>
""" % (MDEV_NAME, MDEV_UUID, MDEV_UUID)
DEVICES = {"mtty_mtty": ("mdev_types", PARENT_XML),
           MDEV_NAME: ("mdev", MDEV_XML)}

try:
    import libvirt
    import nova.conf
    import nova.conf.devices
    from nova import exception
    from nova import version as nova_version
    from nova.compute import provider_tree
    from nova.virt import fake as fake_virt
    from nova.virt.libvirt import driver as libvirt_driver
except ImportError as e:
    check("Nova, oslo.config and the libvirt bindings import (%s)" % e, False)
    sys.exit(1)
check("Nova %s (%s), libvirt bindings %s import with %s"
      % (nova_version.version_string(), nova_version.__file__.rsplit("/", 2)[0],
         libvirt.getVersion(), sys.executable), True)


class FakeNodeDevice:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name

    def XMLDesc(self, flags=0):
        return DEVICES[self._name][1]


class FakeConnection:
    """The node-device calls Nova makes (virConnect*), answered like
    libvirt 9.0 on a host whose only mdev parent is mtty's."""
    calls = []

    def getLibVersion(self):
        return 9000000

    def listDevices(self, cap, flags=0):
        self.calls.append(("listDevices", cap))
        return [n for n, (c, _) in DEVICES.items() if cap is None or c == cap]

    def nodeDeviceLookupByName(self, name):
        self.calls.append(("nodeDeviceLookupByName", name))
        if name not in DEVICES:
            err = libvirt.libvirtError("Node device not found: %s" % name)
            err.err = (libvirt.VIR_ERR_NO_NODE_DEVICE, libvirt.VIR_FROM_NODEDEV,
                       str(err), 2, None, None, None, 0, 0)
            raise err
        return FakeNodeDevice(name)


def make_driver(conf_file):
    """nova-compute's CONF from conf_file and a LibvirtDriver on the fake
    connection.  Returns (driver, None) or (None, exception)."""
    conf = nova.conf.CONF
    conf.reset()
    conf.clear()
    conf(["--config-file", conf_file], project="nova", default_config_files=[])
    try:
        drv = libvirt_driver.LibvirtDriver(fake_virt.FakeVirtAPI(), False)
    except Exception as e:  # what nova-compute would die of at start
        return None, e
    drv._host._wrapped_conn = FakeConnection()
    return drv, None


logging.basicConfig(level=logging.WARNING, format="# log %(levelname)s %(name)s: %(message)s")

# ---- the example as shipped: its options are Nova's (with their types) ----
conf = nova.conf.CONF
conf(["--config-file", CONF_FILE], project="nova", default_config_files=[])
nova.conf.devices.register_dynamic_opts(conf)
types = conf.devices.enabled_mdev_types
check("example: [devices] enabled_mdev_types = %s (Nova's ListOpt)" % types,
      types == ["mtty-2"])
grp = getattr(conf, "mdev_mtty-2")
try:
    mdev_class = grp.mdev_class
except Exception as e:  # oslo.config checks the value against Nova's regex
    mdev_class = "invalid (%s)" % e
check("example: [mdev_mtty-2] mdev_class = %s passes Nova's definition "
      "(regex ^(VGPU|CUSTOM_[A-Z0-9_]+)$)" % mdev_class,
      mdev_class == "CUSTOM_MTTY_DUAL_PORT")
check("example: [mdev_mtty-2] device_addresses is not set (%s)"
      % grp.device_addresses, grp.device_addresses == [])

drv, err = make_driver(CONF_FILE)
check("LibvirtDriver starts with the example (%s)" % (err or "no error"), drv)
if not drv:
    sys.exit(1)
check("LibvirtDriver._get_supported_vgpu_types: supported types %s"
      % drv.supported_vgpu_types, drv.supported_vgpu_types == ["mtty-2"])
check("... but the mdev class is %s, not CUSTOM_MTTY_DUAL_PORT: without "
      "device_addresses Nova drops mdev_class (driver.py:"
      "_get_supported_vgpu_types resets mdev_classes to {VGPU})"
      % sorted(drv.mdev_classes), drv.mdev_classes == {"VGPU"})
check("LibvirtDriver._get_resource_class_for_device('mtty_mtty') = %s "
      "(_get_pci_id_from_libvirt_name cannot read a PCI address from it)"
      % drv._get_resource_class_for_device("mtty_mtty"),
      drv._get_resource_class_for_device("mtty_mtty") == "VGPU")

# ---- the existing mdev: found, parent mtty_mtty ----
info = drv._get_mediated_device_information(MDEV_NAME)
check("LibvirtDriver._get_mediated_device_information(%s): uuid %s, parent %s, "
      "type %s" % (MDEV_NAME, info["uuid"], info["parent"], info["type"]),
      info["uuid"] == MDEV_UUID and info["parent"] == "mtty_mtty"
      and info["type"] == "mtty-2")
counts = dict(drv._count_mediated_devices(["mtty-2"]))
check("LibvirtDriver._count_mediated_devices: %s" % counts,
      counts == {"mtty_mtty": 1})

# ---- the parent: Nova lists it, then reads a PCI capability it has not ----
FakeConnection.calls.clear()
try:
    devs = drv._get_mdev_capable_devices(types=["mtty-2"])
    exc, where = None, None
except Exception as e:
    devs, exc = None, e
    where = traceback.extract_tb(e.__traceback__)[-1]
print("# libvirt calls: %s" % FakeConnection.calls)
check("Host.list_mdev_capable_devices asks libvirt for cap 'mdev_types' and "
      "gets mtty_mtty", ("listDevices", "mdev_types") in FakeConnection.calls
      and ("nodeDeviceLookupByName", "mtty_mtty") in FakeConnection.calls)
check("LibvirtDriver._get_mdev_capable_devices raises %r in %s:%s "
      "(cfgdev.pci_capability is None: the parent XML has no pci capability)"
      % (exc, where and os.path.basename(where.filename), where and where.name),
      isinstance(exc, AttributeError) and "vendor_id" in str(exc)
      and where.name == "_get_mdev_capabilities_for_dev")

tree = provider_tree.ProviderTree()
tree.new_root("compute1", "4f5c1a6e-55a1-4b0e-9b57-1d8f7f1e2a10")
try:
    drv._update_provider_tree_for_vgpu(tree, "compute1")
    exc, where = None, None
except Exception as e:
    exc = e
    where = [f.name for f in traceback.extract_tb(e.__traceback__)][1:]
check("LibvirtDriver._update_provider_tree_for_vgpu (called by "
      "update_provider_tree) raises the same %r via %s: the periodic "
      "resource update of the node fails" % (exc, where and " > ".join(where)),
      isinstance(exc, AttributeError) and where
      and where[:2] == ["_update_provider_tree_for_vgpu", "_get_gpu_inventories"]
      and where[-1] == "_get_mdev_capabilities_for_dev")

# ---- naming the parent: device_addresses takes PCI addresses only ----
alt = TOP / "build" / "fleet" / "nova-device-addresses.conf"
alt.parent.mkdir(parents=True, exist_ok=True)
alt.write_text("[devices]\nenabled_mdev_types = mtty-2\n\n[mdev_mtty-2]\n"
               "device_addresses = mtty\nmdev_class = CUSTOM_MTTY_DUAL_PORT\n")
drv2, err = make_driver(str(alt))
check("with [mdev_mtty-2] device_addresses = mtty (the parent's mdev_bus name) "
      "the driver does not start: %s: %s" % (type(err).__name__, err),
      drv2 is None and isinstance(err, exception.InvalidLibvirtMdevConfig)
      and "incorrect PCI address: mtty" in str(err))

sys.exit(0 if all(results) else 1)
