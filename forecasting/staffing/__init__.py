"""staffing"""
