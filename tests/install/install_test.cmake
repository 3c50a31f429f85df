# cmake --install of a build tree into a fresh prefix, then what was installed is used: the tools
# answer --help, the docs are there, the bash completion is there under each tool's name, and a program outside the tree builds against
# find_package(ihd) and runs. Run by ctest (tests/CMakeLists.txt) as
#   cmake -DBUILD_DIR=... -DPREFIX=... -DCONSUMER_SOURCE=... -DGENERATOR=...
#         -P install_test.cmake
foreach(variable BUILD_DIR PREFIX CONSUMER_SOURCE GENERATOR)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "install_test.cmake needs -D${variable}=...")
  endif()
endforeach()

function(run_or_fail what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}):\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${PREFIX})
run_or_fail("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX})

foreach(tool ihd_train ihd_predict)
  run_or_fail("installed ${tool} --help" ${PREFIX}/bin/${tool} --help)
  string(FIND "${run_output}" "--model" has_flags)
  if(tool STREQUAL "ihd_predict" AND has_flags EQUAL -1)
    message(FATAL_ERROR "${tool} --help does not list its flags:\n${run_output}")
  endif()
  message(STATUS "${tool} --help: ok")
endforeach()
foreach(file bin/ihd_eval bin/ihd_embed bin/ihd_prepare bin/ihd_synth share/doc/ihd/README.md
             share/doc/ihd/docs/ARCHITECTURE.md share/doc/ihd/docs/images/report.png
             share/doc/ihd/data/README.md include/ihd/engine/tensor.h include/ihd/model/resnet.h
             lib/cmake/ihd/ihdConfig.cmake)
  if(NOT EXISTS ${PREFIX}/${file})
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()
foreach(tool ihd_train ihd_predict ihd_eval ihd_embed ihd_prepare ihd_synth)
  if(NOT EXISTS ${PREFIX}/share/bash-completion/completions/${tool})
    message(FATAL_ERROR "bash completion not installed for ${tool}")
  endif()
endforeach()
message(STATUS "bash completion: installed")

set(consumer_build ${PREFIX}-consumer)
file(REMOVE_RECURSE ${consumer_build})
run_or_fail("configuring a program against find_package(ihd)" ${CMAKE_COMMAND} -S
            ${CONSUMER_SOURCE} -B ${consumer_build} -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${PREFIX}
            -DCMAKE_BUILD_TYPE=Release)
run_or_fail("building it" ${CMAKE_COMMAND} --build ${consumer_build})
run_or_fail("running it" ${consumer_build}/ihd_consumer)
if(NOT run_output MATCHES "logits 2 x 6")
  message(FATAL_ERROR "the program built against the installed ihd printed: ${run_output}")
endif()
message(STATUS "find_package(ihd): a program built against it runs")
file(REMOVE_RECURSE ${PREFIX} ${consumer_build})
