from django.urls import path

from . import views

case_imaging_urlpatterns = [
    path("<int:case_id>/images/", views.CaseImagesView.as_view(), name="case-images"),
    path("<int:case_id>/series/", views.CaseSeriesView.as_view(), name="case-series"),
]

series_urlpatterns = [
    path("<int:series_id>/", views.SeriesDetailView.as_view(), name="series-detail"),
]

image_urlpatterns = [
    path("compare/", views.ImageCompareView.as_view(), name="image-compare"),
    path("compare/difference/", views.ImageCompareDifferenceView.as_view(),
         name="image-compare-difference"),
    path("<int:image_id>/", views.ImageDetailView.as_view(), name="image-detail"),
    path("<int:image_id>/render/", views.ImageRenderView.as_view(), name="image-render"),
    path("<int:image_id>/thumbnail/", views.ImageThumbnailView.as_view(),
         name="image-thumbnail"),
    path("<int:image_id>/pixels/", views.ImagePixelsView.as_view(), name="image-pixels"),
    path("<int:image_id>/file/", views.ImageFileView.as_view(), name="image-file"),
    path("<int:image_id>/release/", views.ImageReleaseView.as_view(), name="image-release"),
]
