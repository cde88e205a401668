// Folded from rules::Fact; see kpis.h.
