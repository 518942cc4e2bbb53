# Runs at install time (cmake --install, CPack): writes the systemd units with this install's
# paths, and the configuration files into /etc for a /usr install, else into <prefix>/etc.
# Existing configuration is kept: an operator's edits survive a reinstall.

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(etc /etc)
else()
  set(etc "${CMAKE_INSTALL_PREFIX}/etc")
endif()
set(libexec "${CMAKE_INSTALL_PREFIX}/${PLATEAU_LIBEXECDIR}")
set(dir "${PLATEAU_PACKAGING_DIR}")
set(staging "${PLATEAU_STAGING_DIR}")
file(MAKE_DIRECTORY "${staging}")

foreach(unit plateau-master.service plateau-agent.service)
  file(READ "${dir}/systemd/${unit}" text)
  string(REPLACE "/usr/libexec/plateau" "${libexec}/plateau" text "${text}")
  string(REPLACE "/etc/default" "${etc}/default" text "${text}")
  file(WRITE "${staging}/${unit}" "${text}")
  file(INSTALL "${staging}/${unit}" DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()

function(plateau_install_config source destination)
  get_filename_component(name "${source}" NAME)
  if(EXISTS "$ENV{DESTDIR}${destination}/${name}" AND NOT DEFINED ENV{DESTDIR})
    message(STATUS "Kept: ${destination}/${name}")
    return()
  endif()
  file(INSTALL "${source}" DESTINATION "${destination}"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endfunction()

foreach(name plateau plateau-master plateau-agent)
  plateau_install_config("${dir}/default/${name}" "${etc}/default")
endforeach()
plateau_install_config("${dir}/etc/README" "${etc}/plateau")
foreach(role master agent)
  foreach(flag work_dir log_dir)
    plateau_install_config("${dir}/etc/${role}/${flag}" "${etc}/plateau/${role}")
  endforeach()
endforeach()
