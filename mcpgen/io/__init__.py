"""mcpgen.io"""
