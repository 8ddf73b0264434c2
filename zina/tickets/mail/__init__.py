"""Mail intake: IMAP mailboxes of institutions polled into tickets (docs/mail.md).

``config`` reads the mailboxes from settings, ``imap`` talks to the server, ``parser`` turns
raw bytes into a checked message (or a reason to quarantine it), ``intake`` records each
message once and opens a ticket or adds the reporter's reply to one.
"""
