from .runner import GCARunner

__all__ = ['GCARunner']
