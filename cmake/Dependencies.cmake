# Every third-party dependency comes from a Debian 12 package (scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED) # libpq: PQconninfoParse reads connection strings as libpq does
find_package(ZLIB REQUIRED)
find_package(CURL REQUIRED) # libcurl: transport only (HTTPS for S3; SigV4 is our own)
find_package(EXPAT REQUIRED) # S3's XML answers, parsed as a stream
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(tl-expected REQUIRED)
# H. Hinnant's date: date::date (calendar, ISO weeks; header-only) and date::date-tz (time
# zones from /usr/share/zoneinfo; its target defines USE_OS_TZDB=1, as the library was built).
find_package(date REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
find_package(GTest REQUIRED)
