# Precompiled headers for the heavy headers most translation units share
# (the generated etcd protobuf/gRPC headers, grpcpp, Boost.Asio/Beast,
# Catch2). They cut the parse time of every unit, not its code generation.
#
# A precompiled header is only used when the unit is compiled with the same
# code-affecting flags it was built with (GCC checks -fPIC against -fPIE,
# for one, and warns with -Winvalid-pch, which CMake passes, before falling
# back to the plain headers). So one "host" is built per flag family and the
# targets of that family reuse it:
#   STATIC   -fPIC, default visibility       kernel static libraries
#   PLUGIN   -fPIC, hidden visibility        plugin implementation libraries
#   EXE      -fPIE                           unit tests, cairn-bench
# A host is an object library compiling one empty unit (cmake/pch_host.cpp).
#
# The headers are force-included ahead of each unit: nothing in the tree
# defines a macro before its first #include except tests/catch_main.cpp
# (CATCH_CONFIG_MAIN), which is why cairn_catch_main never gets one.
# -DCAIRN_PCH=OFF builds without them (and checks that every unit still
# includes what it uses).
option(CAIRN_PCH "Precompile the heavy shared headers" ON)

# The standard library headers most units include.
set(CAIRN_PCH_STD <algorithm> <atomic> <chrono> <cstdint> <functional> <map> <memory>
  <mutex> <optional> <string> <string_view> <unordered_map> <utility> <vector>)

# cairn_pch_host(<name> STATIC|PLUGIN|EXE [OPTIONS <compile options...>]
#                LIBS <libs...> HEADERS <headers...>)
function(cairn_pch_host name family)
  cmake_parse_arguments(P "" "" "OPTIONS;LIBS;HEADERS" ${ARGN})
  if(NOT CAIRN_PCH)
    return()
  endif()
  add_library(${name} OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch_host.cpp)
  target_compile_options(${name} PRIVATE ${CAIRN_WARNINGS} ${P_OPTIONS})
  target_link_libraries(${name} PRIVATE ${P_LIBS})
  if(family STREQUAL "EXE")
    # Executables are compiled with -fPIE, which a -fPIC header cannot serve.
    set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
    target_compile_options(${name} PRIVATE -fPIE)
  elseif(family STREQUAL "PLUGIN")
    set_target_properties(${name} PROPERTIES
      CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  elseif(NOT family STREQUAL "STATIC")
    message(FATAL_ERROR "cairn_pch_host: unknown family ${family}")
  endif()
  target_precompile_headers(${name} PRIVATE ${P_HEADERS})
endfunction()

# cairn_use_pch(<target> <host>): <target> reuses <host>'s precompiled
# header; <target> must be of the host's flag family.
function(cairn_use_pch target host)
  if(CAIRN_PCH)
    target_precompile_headers(${target} REUSE_FROM ${host})
  endif()
endfunction()

# cairn_own_pch(<target> <headers...>): a precompiled header for one big
# target whose flags no host shares.
function(cairn_own_pch target)
  if(CAIRN_PCH)
    target_precompile_headers(${target} PRIVATE ${ARGN})
  endif()
endfunction()

# cairn_skip_pch(<source paths relative to the top...>): these units compile
# without the precompiled header of their target.
function(cairn_skip_pch)
  foreach(src ${ARGN})
    get_filename_component(dir ${PROJECT_SOURCE_DIR}/${src} DIRECTORY)
    set_source_files_properties(${PROJECT_SOURCE_DIR}/${src} DIRECTORY ${dir}
      PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
  endforeach()
endfunction()

# ccache caches units that use a Clang precompiled header only when the
# header carries no timestamp (`make fuzz` builds with clang).
if(CAIRN_PCH AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  add_compile_options("SHELL:-Xclang -fno-pch-timestamp")
endif()
