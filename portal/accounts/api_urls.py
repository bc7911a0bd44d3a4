app_name = "auth_api"
urlpatterns: list = []
