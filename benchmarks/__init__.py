"""The benchmark suite: a generator of national-scale synthetic data and the suite runner.

Nothing here describes a real person: every name, date and address is drawn at random from
made-up lists, and the data is only for development, test and benchmark databases.
"""
