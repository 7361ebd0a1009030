"""Academic integrity: which students' code (and inline answers) look copied.

Pipeline, one small module per step:
  submissions  notebooks -> what each student wrote inside START/END CODE HERE,
               per contract function or method ("unit"), plus inline answers
  tokens       code -> normalised tokens and statements (renaming, literals,
               comments, layout and line splits/merges stop mattering)
  fingerprint  tokens -> winnowed k-gram hashes + statement-multiset hashes
  index        inverted index hash -> students; candidate pairs only from
               shared, non-starter, non-idiom hashes; per-pair scores
  report       pairs.csv, histogram.png, report.html (side-by-side matches)
  cli          `autograde similarity SUBMISSIONS --out OUT`
"""
