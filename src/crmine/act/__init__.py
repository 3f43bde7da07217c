"""Acting on the predictions: alert rules over published tables, delivered to webhooks and e-mail.

:func:`crmine.act.alerts.deliver_alerts` is what ``crmine alerts`` and ``crmine run`` call.
"""
