# Type stubs for the parts of Nameko 2.14 that Keyuan uses (Nameko ships no type hints).
