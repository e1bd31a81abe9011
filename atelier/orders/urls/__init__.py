from .customer import urlpatterns as customer
from .expert import urlpatterns as expert
from .files import urlpatterns as files
from .review import urlpatterns as review

urlpatterns = [*customer, *expert, *review, *files]
