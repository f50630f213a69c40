from django.urls import path

from djproject import views

urlpatterns = [
    path("echo", views.echo, name="echo"),
    path("json", views.post_json),
    path("form", views.post_form),
    path("upload", views.upload),
    path("image.png", views.image),
    path("cookies", views.cookies),
    path("redirect", views.go),
    path("boom", views.boom),
]
