"""Funnels: ordered conversion steps matched against page views and events.

``definition`` (the types and their validation) and ``matcher`` (the state machine) are pure;
``service.FunnelService`` stores definitions, matches live batches and rebuilds from history.
"""
