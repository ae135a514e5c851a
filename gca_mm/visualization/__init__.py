"""Figures of contrastive views."""
from .views import draw_views, figure_size, save_figure, visualize_views

__all__ = ['draw_views', 'figure_size', 'save_figure', 'visualize_views']
