	--
-- PostgreSQL database dump
--


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

--
-- Name: a.b; Type: SCHEMA; Schema: -; Owner: lifeboat
--

CREATE SCHEMA "a.b";


ALTER SCHEMA "a.b" OWNER TO lifeboat;

--
-- Name: f(); Type: FUNCTION; Schema: public; Owner: lifeboat
--

CREATE FUNCTION public.f() RETURNS text
    LANGUAGE sql
    AS $$ SELECT 'COPY x (a) FROM stdin;' $$;


ALTER FUNCTION public.f() OWNER TO lifeboat;

--
-- Name: g(); Type: FUNCTION; Schema: public; Owner: lifeboat
--

CREATE FUNCTION public.g() RETURNS text
    LANGUAGE plpgsql
    AS $$ BEGIN /* COPY y (b) FROM stdin; */ RETURN 'a'';b'; END $$;


ALTER FUNCTION public.g() OWNER TO lifeboat;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: c; Type: TABLE; Schema: a.b; Owner: app
--

CREATE TABLE "a.b".c (
    id integer,
    "x""y" text
);


ALTER TABLE "a.b".c OWNER TO app;

--
-- Name: TABLE c; Type: COMMENT; Schema: a.b; Owner: app
--

COMMENT ON TABLE "a.b".c IS 'COPY phantom (a) FROM stdin;';


--
-- Name: a.b; Type: TABLE; Schema: public; Owner: lifeboat
--

CREATE TABLE public."a.b" (
    id integer
);


ALTER TABLE public."a.b" OWNER TO lifeboat;

--
-- Name: ünï code; Type: TABLE; Schema: public; Owner: lifeboat
--

CREATE TABLE public."ünï code" (
    "col one" text
);


ALTER TABLE public."ünï code" OWNER TO lifeboat;

--
-- Name: 16405; Type: BLOB; Schema: -; Owner: lifeboat
--

SELECT pg_catalog.lo_create('16405');


ALTER LARGE OBJECT 16405 OWNER TO lifeboat;

--
-- Data for Name: c; Type: TABLE DATA; Schema: a.b; Owner: app
--

COPY "a.b".c (id, "x""y") FROM stdin;
1	tab\there
2	back\\slash
3	\N
4	\\.
\.


--
-- Data for Name: a.b; Type: TABLE DATA; Schema: public; Owner: lifeboat
--

COPY public."a.b" (id) FROM stdin;
1
2
\.


--
-- Data for Name: ünï code; Type: TABLE DATA; Schema: public; Owner: lifeboat
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
-- Name: c; Type: ROW SECURITY; Schema: a.b; Owner: app
--

ALTER TABLE "a.b".c ENABLE ROW LEVEL SECURITY;

--
-- Name: c p; Type: POLICY; Schema: a.b; Owner: app
--

CREATE POLICY p ON "a.b".c TO app USING (true);


--
-- Name: TABLE c; Type: ACL; Schema: a.b; Owner: app
--

GRANT SELECT ON TABLE "a.b".c TO "read""er";


--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: a.b; Owner: lifeboat
--

ALTER DEFAULT PRIVILEGES FOR ROLE lifeboat IN SCHEMA "a.b" GRANT SELECT ON TABLES  TO "read""er";


--
-- PostgreSQL database dump complete
--


