--
-- PostgreSQL database dump
--

\restrict N3DfIgvQqnKh94vLa5t7tKFd3N2Kzbe7Hf69wRpYInlrylWzJmKBEGPqsviiBrH

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

DROP POLICY IF EXISTS p ON "a.b".c;
SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '16405';
DROP TABLE IF EXISTS public."ünï code";
DROP TABLE IF EXISTS public."a.b";
DROP TABLE IF EXISTS "a.b".c;
DROP FUNCTION IF EXISTS public.g();
DROP FUNCTION IF EXISTS public.f();
DROP SCHEMA IF EXISTS "a.b";
--
-- Name: a.b; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA "a.b";


--
-- Name: f(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.f() RETURNS text
    LANGUAGE sql
    AS $$ SELECT 'COPY x (a) FROM stdin;' $$;


--
-- Name: g(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.g() RETURNS text
    LANGUAGE plpgsql
    AS $$ BEGIN /* COPY y (b) FROM stdin; */ RETURN 'a'';b'; END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: c; Type: TABLE; Schema: a.b; Owner: -
--

CREATE TABLE "a.b".c (
    id integer,
    "x""y" text
);


--
-- Name: TABLE c; Type: COMMENT; Schema: a.b; Owner: -
--

COMMENT ON TABLE "a.b".c IS 'COPY phantom (a) FROM stdin;';


--
-- Name: a.b; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public."a.b" (
    id integer
);


--
-- Name: ünï code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public."ünï code" (
    "col one" text
);


--
-- Name: 16405; Type: BLOB; Schema: -; Owner: -
--

SELECT pg_catalog.lo_create('16405');


--
-- Data for Name: c; Type: TABLE DATA; Schema: a.b; Owner: -
--

COPY "a.b".c (id, "x""y") FROM stdin;
1	tab\there
2	back\\slash
3	\N
4	\\.
\.


--
-- Data for Name: a.b; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public."a.b" (id) FROM stdin;
1
2
\.


--
-- Data for Name: ünï code; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public."ünï code" ("col one") FROM stdin;
x
multi\nline
\.


--
-- Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -
--

BEGIN;

SELECT pg_catalog.lo_open('16405', 131072);
SELECT pg_catalog.lowrite(0, '\x6c61726765206f626a656374');
SELECT pg_catalog.lo_close(0);

COMMIT;

--
-- Name: c; Type: ROW SECURITY; Schema: a.b; Owner: -
--

ALTER TABLE "a.b".c ENABLE ROW LEVEL SECURITY;

--
-- Name: c p; Type: POLICY; Schema: a.b; Owner: -
--

CREATE POLICY p ON "a.b".c TO app USING (true);


--
-- Name: TABLE c; Type: ACL; Schema: a.b; Owner: -
--

GRANT SELECT ON TABLE "a.b".c TO "read""er";


--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: a.b; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE lifeboat IN SCHEMA "a.b" GRANT SELECT ON TABLES  TO "read""er";


--
-- PostgreSQL database dump complete
--

\unrestrict N3DfIgvQqnKh94vLa5t7tKFd3N2Kzbe7Hf69wRpYInlrylWzJmKBEGPqsviiBrH

