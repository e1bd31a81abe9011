from .customer import urlpatterns as customer
from .expert import urlpatterns as expert
from .review import urlpatterns as review

urlpatterns = [*customer, *expert, *review]
