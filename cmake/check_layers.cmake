# Fails when a source of MODULE includes a header of a module outside ALLOWED (separated by
# "|"), the modules it depends on directly or indirectly (CMakeLists.txt, docs/architecture.md).
# FILES: the module's sources and headers, separated by "|". Writes STAMP when all is well.
cmake_policy(VERSION 3.25)
string(REPLACE "|" ";" files "${FILES}")
string(REPLACE "|" ";" allowed "${ALLOWED}")
set(problems "")
foreach(f IN LISTS files)
  file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"[a-z_]+/")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([a-z_]+)/.*" "\\1" used "${line}")
    if(NOT used STREQUAL MODULE AND NOT used IN_LIST allowed)
      string(APPEND problems "\n  ${f}: ${line}")
    endif()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "module ${MODULE} may include only its own headers and those of: ${allowed}; these reverse or skip the "
                      "dependency table of docs/architecture.md:${problems}")
endif()
if(STAMP)
  file(WRITE "${STAMP}" "ok\n")
endif()
