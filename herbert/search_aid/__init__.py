"""Where police should look first: offline postcode points, distances, lost-person rings and a drawn map."""
