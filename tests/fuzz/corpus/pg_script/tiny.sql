COPY a (x) FROM stdin;
1
\.
-- PostgreSQL database dump complete
