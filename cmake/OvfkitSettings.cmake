# Interface targets that every ovfkit target links: warnings and settings.
add_library(ovfkit_warnings INTERFACE)
target_compile_options(ovfkit_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual)
# GCC 12's -Wnull-dereference fires inside libstdc++ at -O2 (std::string after
# inlining); clang's is precise enough to keep.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(ovfkit_warnings INTERFACE -Wnull-dereference)
endif()
# GCC 12's -Wrestrict misfires at -O3 on "literal" + std::string (GCC bug
# 105651, fixed in 13), so Release builds would fail with -Werror.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(ovfkit_warnings INTERFACE -Wno-restrict)
endif()
if(OVFKIT_DEV_MODE)
    target_compile_options(ovfkit_warnings INTERFACE -Werror)
endif()

add_library(ovfkit_settings INTERFACE)
target_compile_definitions(ovfkit_settings INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
if(OVFKIT_SANITIZE)
    target_compile_options(ovfkit_settings INTERFACE
        -fsanitize=${OVFKIT_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(ovfkit_settings INTERFACE -fsanitize=${OVFKIT_SANITIZE})
endif()
# Fuzzing builds instrument the library itself for coverage and ASan/UBSan;
# without this, libFuzzer sees only the fuzz target's own few lines.
if(OVFKIT_BUILD_FUZZERS)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "OVFKIT_BUILD_FUZZERS needs clang (-DCMAKE_CXX_COMPILER=clang++)")
    endif()
    target_compile_options(ovfkit_settings INTERFACE
        -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
    target_link_options(ovfkit_settings INTERFACE -fsanitize=address,undefined)
endif()
