# cairn_add_pytest(<name> FILE <test_file.py> LABEL <label> TIMEOUT <seconds>
#                  [ARGS <extra pytest args>...])
#
# Registers one pytest file as one CTest test. The suites drive the real
# `cairn` binary: when the target exists (kernel/ is processed before tests/)
# CAIRN_BIN points at it and CAIRN_REQUIRE_BIN=1 makes a missing binary an
# error; without the target the suites run against etcd 3.4 (/usr/bin/etcd),
# the reference they were written against.
#
# Any non-zero pytest exit fails the test, including 5 ("no tests
# collected"): no SKIP_RETURN_CODE is set on purpose.

# The interpreter must import pytest and etcd3 (Debian's python3-pytest and
# python3-etcd3 live in /usr/bin/python3's dist-packages; a python3 earlier on
# PATH, e.g. pyenv's, usually lacks them).
if(NOT CAIRN_TEST_PYTHON)
  find_program(_cairn_path_python3 python3)
  foreach(_candidate /usr/bin/python3 ${_cairn_path_python3})
    if(EXISTS ${_candidate})
      execute_process(COMMAND ${_candidate} -c "import pytest, etcd3, grpc"
                      RESULT_VARIABLE _cairn_py_rc OUTPUT_QUIET ERROR_QUIET)
      if(_cairn_py_rc EQUAL 0)
        set(CAIRN_TEST_PYTHON ${_candidate} CACHE FILEPATH
            "Python 3 with pytest and etcd3 for the black-box test suites")
        break()
      endif()
    endif()
  endforeach()
  if(NOT CAIRN_TEST_PYTHON)
    # Registered anyway: the tests then fail loudly instead of vanishing.
    message(WARNING "No python3 with pytest+etcd3+grpc found; black-box tests will fail")
    set(CAIRN_TEST_PYTHON python3)
  endif()
endif()

function(cairn_add_pytest name)
  cmake_parse_arguments(T "" "FILE;LABEL;TIMEOUT" "ARGS" ${ARGN})
  add_test(NAME ${name}
           COMMAND ${CAIRN_TEST_PYTHON} -m pytest -x -q -p no:cacheprovider
                   ${CMAKE_CURRENT_SOURCE_DIR}/${T_FILE} ${T_ARGS}
           WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
  # Keep the source tree free of __pycache__ directories.
  set(env "PYTHONDONTWRITEBYTECODE=1")
  if(TARGET cairn)
    list(APPEND env "CAIRN_BIN=$<TARGET_FILE:cairn>" "CAIRN_REQUIRE_BIN=1")
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABEL}" TIMEOUT ${T_TIMEOUT}
                       ENVIRONMENT "${env}")
endfunction()
