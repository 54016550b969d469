"""mcpgen.analysis"""
