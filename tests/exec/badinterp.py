#!/nonexistent/python3
print("never runs: its interpreter does not exist")
