from .gca_runner import GCARunner

__all__ = ['GCARunner']
