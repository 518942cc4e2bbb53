"""Plateau's Python bindings, laid out as Mesos's: mesos.interface and mesos.native."""
