"""Pure computations of the relational profile: no ORM, numpy arrays in and out."""
