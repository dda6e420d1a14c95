def report(*a, **k): pass
class Report: pass
