# `cmake --install` puts the library where other projects can use it:
#
#   include/ovfkit/<folder>/*.hpp        every header under src/ovfkit/
#   lib/libovfkit.a                      the static library
#   lib/cmake/ovfkit/                    find_package(ovfkit CONFIG) -> ovfkit::ovfkit
#   lib/pkgconfig/ovfkit.pc              pkg-config --static --cflags --libs ovfkit
#   bin/ovfkit                           the command line (src/cli/CMakeLists.txt)
#
# libovfkit is static, so its private dependencies (libxml2, OpenSSL, zlib,
# oneTBB, libdeflate, libisofs ...) are still needed when a program links it: the exported
# target lists them as link-only ($<LINK_ONLY:...>), ovfkitConfig.cmake finds
# them again with find_dependency, and ovfkit.pc names them in
# Requires.private. Public headers use fmt, nlohmann_json and tl::expected,
# which consumers therefore compile against. The build-only interface targets
# (ovfkit_warnings, ovfkit_settings) are BUILD_INTERFACE and never exported,
# so installing never forces ovfkit's warnings or sanitizers on a consumer.
include(CMakePackageConfigHelpers)

set(OVFKIT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/ovfkit")

# Headers: the whole tree, so a header added to any folder is installed
# without touching this file. Headers only used inside the library (layouts,
# validate_internal.hpp) go too: they are included by nothing public, and
# listing exceptions here would rot.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/src/ovfkit/"
    DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/ovfkit"
    COMPONENT ovfkit_development
    FILES_MATCHING PATTERN "*.hpp")

install(TARGETS ovfkit EXPORT ovfkitTargets
    ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT ovfkit_development)
install(EXPORT ovfkitTargets
    NAMESPACE ovfkit::
    FILE ovfkitTargets.cmake
    DESTINATION "${OVFKIT_INSTALL_CMAKEDIR}"
    COMPONENT ovfkit_development)

configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/ovfkitConfig.cmake.in"
    "${PROJECT_BINARY_DIR}/ovfkitConfig.cmake"
    INSTALL_DESTINATION "${OVFKIT_INSTALL_CMAKEDIR}")
# 0.x: a minor release may break the API, so only the same minor matches.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/ovfkitConfigVersion.cmake"
    VERSION "${PROJECT_VERSION}"
    COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/ovfkitConfig.cmake"
              "${PROJECT_BINARY_DIR}/ovfkitConfigVersion.cmake"
    DESTINATION "${OVFKIT_INSTALL_CMAKEDIR}"
    COMPONENT ovfkit_development)

# pkg-config: the file finds its prefix from its own location (${pcfiledir}),
# so `cmake --install --prefix DIR` into any prefix gives a working file.
file(RELATIVE_PATH OVFKIT_PC_PREFIX_FROM_PCDIR
    "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" OVFKIT_PC_PREFIX_FROM_PCDIR "${OVFKIT_PC_PREFIX_FROM_PCDIR}")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    message(FATAL_ERROR "ovfkit.pc needs CMAKE_INSTALL_LIBDIR and CMAKE_INSTALL_INCLUDEDIR "
                        "relative to the prefix")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/ovfkit.pc.in" "${PROJECT_BINARY_DIR}/ovfkit.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/ovfkit.pc"
    DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
    COMPONENT ovfkit_development)
