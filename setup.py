"""Build script for the optional C speed-up `wsdissect._fastlane`; the metadata lives in pyproject.toml.

The extension is optional: without a C compiler (or the Python or zlib headers), or if it fails to compile,
setuptools prints a warning and wsdissect installs as pure Python, which gives the very same output (only slower).
"""
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("wsdissect._fastlane", ["wsdissect/_fastlane.c", "wsdissect/_inflate.c"],
                  optional=True,
                  depends=["wsdissect/_buf.h", "wsdissect/_decode.h", "wsdissect/_inflate.h"],
                  libraries=["z"], extra_compile_args=["-O2"]),
    ],
)
