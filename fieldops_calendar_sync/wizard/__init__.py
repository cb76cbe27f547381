from . import conflict_review
