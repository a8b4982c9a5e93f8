@echo off
rem Starts the mixscout daemon at login, in a minimised console (closing it stops the daemon).
rem   start-at-login.cmd          add it
rem   start-at-login.cmd /remove  remove it
set "launcher=%APPDATA%\Microsoft\Windows\Start Menu\Programs\Startup\mixscout-daemon.cmd"
if /i "%~1"=="/remove" (
  del "%launcher%" 2>nul
  echo removed %launcher%
  exit /b 0
)
> "%launcher%" echo @start "mixscout" /min "%~dp0mixscout.exe" daemon
echo added %launcher%: the mixscout daemon starts at login; "%~nx0 /remove" undoes it
