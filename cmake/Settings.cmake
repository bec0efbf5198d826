# lifeboat_settings: language standard, assertions and sanitizers for every target.
add_library(lifeboat_settings INTERFACE)
target_compile_features(lifeboat_settings INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)

# Container bounds checks are cheap and catch real bugs; keep them in every build we test.
target_compile_definitions(lifeboat_settings INTERFACE
  $<$<CONFIG:Debug,RelWithDebInfo>:_GLIBCXX_ASSERTIONS>)

set(LIFEBOAT_SANITIZE "" CACHE STRING "sanitizers: address;undefined or thread")
# The libFuzzer build (`make fuzz`, clang-16): every library is instrumented for coverage
# with ASan+UBSan, and tests/fuzz links its targets with libFuzzer's engine.
option(LIFEBOAT_FUZZ "build tests/fuzz with libFuzzer (needs clang)" OFF)
if(LIFEBOAT_FUZZ)
  list(APPEND LIFEBOAT_SANITIZE fuzzer-no-link address undefined)
endif()
if(LIFEBOAT_SANITIZE)
  list(JOIN LIFEBOAT_SANITIZE "," _san)
  target_compile_options(lifeboat_settings INTERFACE -fsanitize=${_san} -fno-omit-frame-pointer
                                                     -fno-sanitize-recover=all)
  target_link_options(lifeboat_settings INTERFACE -fsanitize=${_san})
endif()

# Developers' rebuilds go through ccache when it is installed (it is not a dependency:
# CI builds once from a clean clone and gains nothing from it).
find_program(LIFEBOAT_CCACHE ccache)
if(LIFEBOAT_CCACHE AND NOT DEFINED CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${LIFEBOAT_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${LIFEBOAT_CCACHE})
endif()
