"""The one exception users see for bad input: a single sentence naming what is wrong."""


class InputError(ValueError):
    """Bad data, option or file given by the user; the message is one clear sentence.

    The CLI prints the message alone and exits with status 2; the Python API raises it
    as a ``ValueError`` so scikit-learn's own checks see the usual exception type.
    """
