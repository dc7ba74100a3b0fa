"""pip install bindings/python: a pure-Python package over libflowlog (ctypes).
Nothing is compiled and nothing is downloaded; libflowlog itself comes from
the system (meson install, or FLOWLOG_LIBRARY)."""
from setuptools import setup

setup(
    name="flowlog",
    version="1.7.0",
    description="AWS VPC Flow Logs: typed records, Logs Insights queries and connectivity diagnosis (libflowlog)",
    packages=["flowlog"],
    package_data={"flowlog": ["py.typed"]},
    python_requires=">=3.9",
    license="Apache-2.0",
)
