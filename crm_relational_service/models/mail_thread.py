import codecs
import logging

from odoo import models

_logger = logging.getLogger(__name__)


class MailThread(models.AbstractModel):
    """The mail gateway keeps messages in an unknown character set instead of losing them."""

    _inherit = "mail.thread"

    def message_parse(self, message, save_original=False):
        try:
            return super().message_parse(message, save_original=save_original)
        except (LookupError, UnicodeError) as error:
            # An unknown or lying charset: read those parts as Latin-1, which decodes any
            # byte, rather than drop the whole message.
            _logger.warning(
                "Message %s has an unreadable character set (%s); read as latin-1",
                message.get("Message-Id"), error,
            )  # fmt: skip
            for part in message.walk():
                charset = part.get_content_charset()
                if charset and not _known(charset):
                    part.set_param("charset", "latin-1")
                elif charset and part.get_content_maintype() == "text":
                    try:
                        part.get_payload(decode=True).decode(charset)
                    except UnicodeError:
                        part.set_param("charset", "latin-1")
            return super().message_parse(message, save_original=save_original)


def _known(charset):
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True
