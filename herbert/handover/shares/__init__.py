"""Shares with police: short references, access codes and long links, their snapshot of the form, the PDF kept
for them, the words to read out or send, and the carer's pages to make and end them."""
