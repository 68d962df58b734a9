"""Service desk: homeowners' tickets (built in a later issue)."""

SERVICE = "service_desk"
