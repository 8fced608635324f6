"""Stripe: online payment of appointments (Checkout Sessions) and refunds on cancellation."""
