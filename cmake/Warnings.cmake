# lifeboat_warnings: every flag says why it is on.
add_library(lifeboat_warnings INTERFACE)
target_compile_options(lifeboat_warnings INTERFACE
  -Wall -Wextra                 # the baseline everyone expects
  -Wpedantic                    # stay in standard C++20, no GNU dialect by accident
  -Wshadow                      # a shadowed name in a stream loop is a data-loss bug
  -Wnon-virtual-dtor            # interfaces are deleted through base pointers
  -Wcast-align -Wunused -Wnull-dereference
  -Wformat=2                    # printf-style logging with user data
  -Wimplicit-fallthrough        # switch over ErrorKind must not fall through silently
  -Wno-missing-field-initializers # designated initializers leave fields defaulted on purpose
)
# Dev mode: warnings are errors in CI and when asked for, as ccache does.
option(LIFEBOAT_WERROR "treat warnings as errors" OFF)
if(DEFINED ENV{CI} OR LIFEBOAT_WERROR)
  set(LIFEBOAT_WERROR ON)
  target_compile_options(lifeboat_warnings INTERFACE -Werror)
endif()
