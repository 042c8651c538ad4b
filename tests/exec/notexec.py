#!/usr/bin/env python3
print("never runs: this file is not executable")
