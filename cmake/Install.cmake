# What `cmake --install BUILD --prefix P` puts where (GNU layout):
#   bin/                              the six tools
#   share/doc/ihd/                    README.md, docs/ (with its images) and each layer's README,
#                                     in the source tree's layout so that their links still work
#   share/bash-completion/completions/<tool>
#                                     scripts/ihd-completion.bash under each tool's name
#                                     (bash-completion loads a command's file by its name)
#   include/ihd/<layer>/*.h, lib/     the engine's libraries, lowest first: ihd::common,
#                                     ihd::kernels, ihd::engine, ihd::model and ihd::data, static,
#                                     with their headers included as in the tree ("engine/ops.h")
#   lib/cmake/ihd/                    their package: find_package(ihd) then link ihd::model
# The apps' own libraries (apps/training, apps/pipeline) are not installed: they are the tools'
# internals, not an interface.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

if(IHD_DATA)
  install(TARGETS ${IHD_TOOLS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  foreach(tool ${IHD_TOOLS})
    install(FILES ${IHD_BASH_COMPLETION_FILE}
            DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ${tool})
  endforeach()
endif()

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs DESTINATION ${CMAKE_INSTALL_DOCDIR})
foreach(layer common kernels engine model data)
  install(FILES ${layer}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/${layer})
endforeach()

# The libraries, their headers and the package that finds them with their dependencies.
set(ihd_libraries ihd_common ihd_blas ihd_kernels ihd_engine ihd_model)
set(ihd_header_layers common kernels engine model)
if(IHD_WITH_ONEDNN)
  list(APPEND ihd_libraries ihd_onednn)
endif()
if(IHD_DATA)
  list(APPEND ihd_libraries ihd_data)
  list(APPEND ihd_header_layers data)
endif()
foreach(library ${ihd_libraries})
  string(REPLACE "ihd_" "" export_name ${library})
  set_target_properties(${library} PROPERTIES EXPORT_NAME ${export_name})
endforeach()
# Libraries built with the sanitizers (IHD_SANITIZE) need them in whatever links them.
if(IHD_SANITIZE)
  target_link_options(ihd_common INTERFACE -fsanitize=address,undefined)
endif()
install(TARGETS ${ihd_libraries} EXPORT ihdTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ihd)
foreach(layer ${ihd_header_layers})
  install(DIRECTORY ${layer} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ihd
          FILES_MATCHING PATTERN "*.h")
endforeach()
set(ihd_package_dir ${CMAKE_INSTALL_LIBDIR}/cmake/ihd)
install(EXPORT ihdTargets NAMESPACE ihd:: DESTINATION ${ihd_package_dir})
set(IHD_BLAS_FROM_PKG_CONFIG ${OPENBLAS_FOUND})
configure_package_config_file(cmake/ihdConfig.cmake.in ${PROJECT_BINARY_DIR}/ihdConfig.cmake
                              INSTALL_DESTINATION ${ihd_package_dir})
install(FILES ${PROJECT_BINARY_DIR}/ihdConfig.cmake DESTINATION ${ihd_package_dir})
