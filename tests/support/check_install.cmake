# ctest `install_runs`: `cmake --install` into a fresh prefix yields a binary that runs on its own
# (config show parses the embedded shipped config) and the files the service units and the README
# name. Usage: cmake -DBUILD_DIR=... -DPREFIX=... [-DEXE=mixscout.exe -DRUN=<emulator>] -P check_install.cmake
if(NOT EXE)
  set(EXE mixscout)
endif()
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX} RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} --prefix ${PREFIX} failed: ${rc}")
endif()
foreach(f bin/${EXE} share/mixscout/MixScout.amxd share/mixscout/mixscout.yaml share/mixscout/mixscout.service
          share/mixscout/com.mixscout.daemon.plist)
  if(NOT EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "${PREFIX}/${f} was not installed")
  endif()
endforeach()
# Run from the prefix, away from the build tree, with empty user folders.
execute_process(COMMAND ${CMAKE_COMMAND} -E env MIXSCOUT_CONFIG_DIR=${PREFIX}/home/config MIXSCOUT_DATA_DIR=${PREFIX}/home/data
                        MIXSCOUT_CACHE_DIR=${PREFIX}/home/cache ${RUN} ${PREFIX}/bin/${EXE} config show --json
                WORKING_DIRECTORY ${PREFIX} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "installed mixscout config show exited ${rc}: ${err}")
endif()
string(JSON ceiling ERROR_VARIABLE json_err GET "${out}" master ceiling_dbtp)
if(json_err)
  message(FATAL_ERROR "installed mixscout config show --json: no master.ceiling_dbtp (${json_err})")
endif()
file(READ ${PREFIX}/share/mixscout/mixscout.service unit)
if(NOT unit MATCHES "ExecStart=%h/.local/bin/mixscout daemon")
  message(FATAL_ERROR "mixscout.service no longer runs <prefix>/bin/mixscout: update this check or the install rule")
endif()
message(STATUS "installed into ${PREFIX}: mixscout runs (master.ceiling_dbtp ${ceiling})")
