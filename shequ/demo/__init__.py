"""demo: the composition root that seeds the demo street (`shequ seed`): the ledger's street, the demo accounts and
every app's demo data. Above every domain app; nothing imports it."""
