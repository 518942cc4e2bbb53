"""pip install ./python: installs the `mesos` package assembled by the CMake build.

Build first (`./dev build` or `ninja -C build`); PLATEAU_BUILD_DIR names another build tree.
"""

import os

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("PLATEAU_BUILD_DIR", os.path.join(os.path.dirname(HERE), "build"))
PACKAGE_DIR = os.path.join(BUILD, "python", "mesos")

if not os.path.exists(os.path.join(PACKAGE_DIR, "interface", "mesos_pb2.py")):
    raise SystemExit("Build Plateau first (./dev build): %s has no Python package" % BUILD)

setup(
    name="plateau-mesos",
    version="0.1.0",
    description="Mesos-compatible Python bindings (mesos.interface, mesos.native) for Plateau",
    packages=["mesos", "mesos.interface", "mesos.native"],
    package_dir={"mesos": PACKAGE_DIR},
    package_data={"mesos.native": ["_mesos*.so"]},
    install_requires=["protobuf>=3.21,<4.22"],
    zip_safe=False,
)
