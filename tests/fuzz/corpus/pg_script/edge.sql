-- comment
/* nested /* block */ COPY z (q) FROM stdin; */
SELECT $t$ COPY w (q) FROM stdin; $t$;
\connect foo
COPY "we""ird"."na.me" ("a b", c) FROM stdin;
\.
