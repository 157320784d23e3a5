from . import profile_export
